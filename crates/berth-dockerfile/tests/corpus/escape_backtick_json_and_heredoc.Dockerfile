# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
SHELL ["cmd", "/S", "/C"]
RUN echo a `
  && echo b
RUN <<EOF
echo c:\path `
EOF
