FROM python:3.12-slim
COPY <<EOF /app/run.py
#!/usr/bin/env python3
print("hi")
EOF
RUN <<EOF
#!/usr/bin/env python3
print("run")
EOF
