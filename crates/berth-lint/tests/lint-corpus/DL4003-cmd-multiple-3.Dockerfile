FROM python:3.12-slim
CMD ["python", "a.py"]
CMD ["python", "b.py"]
