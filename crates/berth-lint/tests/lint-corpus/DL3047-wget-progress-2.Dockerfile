FROM a:1
RUN wget -q http://x && wget -nv y && wget --progress=dot z
