#!/usr/bin/env docker
# escape=`
FROM alpine:3.20
RUN echo a \
 b
