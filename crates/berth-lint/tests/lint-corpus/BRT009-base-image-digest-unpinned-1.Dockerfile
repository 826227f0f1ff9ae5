FROM debian:12-slim
