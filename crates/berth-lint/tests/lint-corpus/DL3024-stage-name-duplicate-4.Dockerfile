FROM node:22 AS web
    FROM golang:1.23 AS api
