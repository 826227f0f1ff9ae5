# syntax = docker/dockerfile:1 extra words   
FROM alpine:3.20
