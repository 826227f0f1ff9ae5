FROM registry.example.com/team/base:2024.1 AS build
RUN make
FROM registry.example.com/team/runtime:2024.1
COPY --from=build /out /opt/app
CMD ["/opt/app/run"]
