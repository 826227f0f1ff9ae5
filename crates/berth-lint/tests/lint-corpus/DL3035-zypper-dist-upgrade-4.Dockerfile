FROM opensuse/leap:15.6
