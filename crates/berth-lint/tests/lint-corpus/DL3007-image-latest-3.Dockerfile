FROM node:latest
