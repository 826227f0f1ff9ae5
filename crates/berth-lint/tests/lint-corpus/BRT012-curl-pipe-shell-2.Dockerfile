FROM a:1
RUN curl -fsSL https://x/k | gpg --dearmor > k
RUN curl x; sh y
