FROM a:1
CMD ["a"]
CMD ["b"]
CMD ["c"]
