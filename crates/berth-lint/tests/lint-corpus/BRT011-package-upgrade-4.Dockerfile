FROM debian:12.7
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311
