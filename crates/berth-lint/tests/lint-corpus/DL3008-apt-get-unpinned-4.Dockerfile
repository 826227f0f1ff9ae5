FROM a:1
RUN sudo apt-get install curl
