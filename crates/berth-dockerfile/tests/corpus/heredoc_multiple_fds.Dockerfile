FROM alpine:3.20
RUN 3<<EOF 4<<-EOT cat /dev/fd/3 /dev/fd/4
three
EOF
	four
	EOT
