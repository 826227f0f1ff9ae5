FROM alpine:3.20
ENV P=/usr/local/bin E=
ENV A=${P#*/} B=${P##*/} C=${P%/*} D=${P%%/l*} F=${P/local/opt} G=${E:-def} H=${E-def} I=${P:+set}
