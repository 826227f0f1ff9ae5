FROM a:1
CMD ["a"]
FROM b:1
CMD ["b"]
