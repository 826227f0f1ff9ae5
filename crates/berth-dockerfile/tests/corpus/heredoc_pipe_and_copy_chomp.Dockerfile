FROM alpine:3.20
RUN cat <<EOF | sh
echo piped
EOF
COPY <<-EOT /etc/motd
	Welcome
		indented
	EOT
