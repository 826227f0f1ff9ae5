FROM node:22 AS build
    FROM golang:1.23 AS build
