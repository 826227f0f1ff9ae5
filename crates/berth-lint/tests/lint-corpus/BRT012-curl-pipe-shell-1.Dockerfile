FROM a:1
RUN curl -fsSL https://x/i.sh | sh
