# hadolint ignore=DL3006
# escape=`
FROM alpine
RUN echo x
