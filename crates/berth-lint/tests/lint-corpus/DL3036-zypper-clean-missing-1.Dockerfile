FROM a:1
RUN zypper install -y x=1
