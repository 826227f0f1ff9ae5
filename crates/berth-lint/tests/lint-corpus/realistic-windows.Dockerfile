# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command"]
RUN Invoke-WebRequest https://example.com/x.zip -OutFile x.zip | Out-Null
WORKDIR C:\app
COPY app.exe C:\app\
CMD ["C:\\app\\app.exe"]
