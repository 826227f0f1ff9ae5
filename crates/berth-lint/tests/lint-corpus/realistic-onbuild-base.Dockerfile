FROM ruby:3.3
ONBUILD RUN gem install rails
ONBUILD RUN apt-get install -y libpq-dev
ONBUILD COPY Gemfile /app/
RUN gem install bundler:2.5.16
RUN apt update && apt install -y nodejs
