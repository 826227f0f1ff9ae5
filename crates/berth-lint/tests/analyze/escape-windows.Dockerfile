# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS build
WORKDIR C:\build
COPY packages.config .
RUN nuget restore packages.config `
    -PackagesDirectory C:\packages
COPY . .
RUN msbuild app.sln /p:Configuration=Release

FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
COPY --from=build C:\build\bin\Release C:\app
USER ContainerUser
EXPOSE 80
CMD ["C:\\app\\app.exe"]
