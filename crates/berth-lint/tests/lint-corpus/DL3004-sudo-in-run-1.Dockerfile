FROM a:1
RUN sudo make install
