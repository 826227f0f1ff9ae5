FROM a:latest@sha256:0
FROM a:1
