FROM a:1
CMD ["x"]
ENTRYPOINT ["y"]
