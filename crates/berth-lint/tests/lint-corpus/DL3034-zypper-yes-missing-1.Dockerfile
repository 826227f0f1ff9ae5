FROM a:1
RUN zypper install x=1
