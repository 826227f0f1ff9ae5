FROM a:1
RUN zypper install -y x=1 'y>2'
