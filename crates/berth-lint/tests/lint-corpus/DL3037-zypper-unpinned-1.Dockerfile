FROM a:1
RUN zypper install -y x
