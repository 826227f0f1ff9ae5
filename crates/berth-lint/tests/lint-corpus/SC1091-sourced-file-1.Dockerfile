FROM debian:12
# ShellCheck cannot follow a sourced file: hadolint and berth leave SC1091 out.
RUN . /etc/os-release && echo "$ID"
