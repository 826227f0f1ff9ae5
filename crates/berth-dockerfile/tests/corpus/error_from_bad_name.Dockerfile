FROM alpine:3.20 AS 1x
