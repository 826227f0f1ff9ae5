FROM opensuse/leap:15.6
    RUN zypper install -y httpd=2.4 && zypper clean
