# build stage
# with two lines
FROM alpine:3.20 AS build

# blank above keeps me

RUN make
#
# bare hash cleared above
RUN make install
