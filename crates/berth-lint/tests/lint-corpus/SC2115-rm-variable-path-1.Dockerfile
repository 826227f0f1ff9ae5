FROM debian:12
RUN rm -rf "$cache_dir/"*
