FROM node:22.9-slim
