FROM a:1
RUN gem install bundler:2 && gem install x -v 1
