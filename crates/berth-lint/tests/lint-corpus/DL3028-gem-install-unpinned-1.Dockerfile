FROM a:1
RUN gem install bundler
