package dev.chat.history;
