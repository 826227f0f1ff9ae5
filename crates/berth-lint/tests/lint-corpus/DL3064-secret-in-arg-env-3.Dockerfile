FROM alpine:3.20
ARG GITHUB_TOKEN
RUN git clone https://$GITHUB_TOKEN@github.com/org/repo
