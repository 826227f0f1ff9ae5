FROM debian:12.7-slim
