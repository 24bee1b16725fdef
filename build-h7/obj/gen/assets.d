build-h7/obj/gen/assets.o: build-h7/gen/assets.c api/assets.h
api/assets.h:
