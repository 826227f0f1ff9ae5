FROM debian:12
RUN echo a
RUN <<EOT
echo b
EOT

RUN echo c
RUN <<EOT bash
echo d
EOT

RUN echo e
RUN <<EOF python3
print("f")
EOF

RUN echo g
