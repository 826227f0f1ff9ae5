FROM alpine:3.20
ENV A='single $x' B="dq \"in\" $x" C=a\=b D=""
ENV E=one\ two F=trail\\
LABEL multi="line \
  continued"
