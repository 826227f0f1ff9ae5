FROM debian:12 AS b
FROM b
FROM scratch
FROM $X
FROM a@sha256:00
