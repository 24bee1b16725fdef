build-f1/obj/gen/assets.o: build-f1/gen/assets.c api/assets.h
api/assets.h:
