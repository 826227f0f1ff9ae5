FROM a:1 AS build
