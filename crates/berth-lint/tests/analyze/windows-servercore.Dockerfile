# escape=`
# A Windows Server Core image: no Linux slim/alpine advice, no size estimate, Windows's own user.
FROM python:3.11-windowsservercore-ltsc2022
WORKDIR C:\app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "app.py"]
