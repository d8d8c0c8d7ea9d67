-- One database per service: no service reads another's.
CREATE DATABASE gateway;
CREATE DATABASE catalog;
CREATE DATABASE search;
CREATE DATABASE promotion;
