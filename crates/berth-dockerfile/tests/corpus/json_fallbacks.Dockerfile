FROM alpine:3.20
CMD ['single', 'quotes']
CMD ["trailing",]
CMD ["c:\windows"]
CMD {"a": 1}
ENTRYPOINT ["/bin/app", "--flag"]   
