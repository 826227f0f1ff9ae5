FROM alpine:3.20
RUN []
ENTRYPOINT ["sh", "-c", "echo \"$HOME\" \\ done"]
CMD [ "a" ,"b"	]
