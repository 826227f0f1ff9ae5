FROM debian:12
RUN touch $(date +%s).stamp
