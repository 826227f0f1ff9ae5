ARG A="x y" B='z w' C
FROM alpine:3.20
ARG D=${A:-none}
